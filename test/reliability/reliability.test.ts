import { transientFaultsSuite } from "./transientFaults";

transientFaultsSuite();
