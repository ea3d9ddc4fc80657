// The disk arbiter against the shared arbiter contract, in a temp directory; every view is
// a separate DiskArbiter so concurrent calls really race on the file system.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arbiterContract } from './_contract.ts';
import { DiskArbiter } from './disk.ts';

arbiterContract('disk arbiter', async (clock, timing) => {
  const path = await mkdtemp(join(tmpdir(), 'tandem-arbiter-'));
  return {
    view: () => new DiskArbiter({ path, clock, ...timing }),
    cleanup: () => rm(path, { recursive: true, force: true }),
  };
});
