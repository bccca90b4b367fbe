/**
 * Setup of the jest project "identity": every suite it runs builds the service with service URIs
 * over HTTPS and a token credential (see identity.ts and service.ts). Before the suite, a request to
 * the OAuth Azurite proves this process trusts its certificate; NODE_EXTRA_CA_CERTS is read only
 * when a process starts, so a run in jest's own process (--runInBand) can't, and says so.
 */
import { runIdentityStorage } from "./identity";

process.env.TEST_STORAGE_MODE = "identity";

beforeAll(async () => {
  try {
    await fetch(`${runIdentityStorage().blob}?comp=list`);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
    throw new Error(
      `This process does not trust the identity Azurite's certificate (${cause}): NODE_EXTRA_CA_CERTS takes effect only in processes started after the global setup, so run identity-mode suites in jest's workers, not with --runInBand.`,
      { cause: error },
    );
  }
});
