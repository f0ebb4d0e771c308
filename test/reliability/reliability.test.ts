/**
 * The reliability suite through the real CLI: transient and hard API faults, an engine killed
 * mid-update, bad inputs and configurations, and finally a scan of everything the suite wrote
 * or printed for the secrets it used. One file, so the scan runs after every scenario.
 */
import { badInputSuite } from "./badInput";
import { hardFaultsSuite } from "./hardFaults";
import { interruptionSuite } from "./interruption";
import { secretsScanSuite } from "./secretsScan";
import { transientFaultsSuite } from "./transientFaults";

transientFaultsSuite();
hardFaultsSuite();
interruptionSuite();
badInputSuite();
secretsScanSuite();
