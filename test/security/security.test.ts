/**
 * The security suite (issue 11's adversarial suite, provider side): a hostile IAM server and a
 * hostile metadata service against the real client, hostile key-file and other settings through
 * the real CLI, then a scan of everything the suite printed or wrote for every secret it used.
 * One file, so that the scan runs after every case and sees the whole run.
 */
import { credentialsCliSuite } from "./credentialsCli";
import { hostileIamServerSuite, hostileMetadataSuite } from "./hostileIam";
import { secretsScanSuite } from "./secretsScan";

hostileIamServerSuite();
hostileMetadataSuite();
credentialsCliSuite();
secretsScanSuite();
