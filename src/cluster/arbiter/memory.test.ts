// The memory arbiter against the shared arbiter contract.
import { arbiterContract } from './_contract.ts';
import { MemoryArbiterStore } from './memory.ts';

arbiterContract('memory arbiter', async (clock, timing) => {
  const store = new MemoryArbiterStore(clock, timing);
  return { view: () => store.arbiter(), cleanup: async () => undefined };
});
