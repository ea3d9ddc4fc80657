// The fencing file is a contract between the volume agent (which writes it) and the mail
// services (which check it before every commit), so it lives in src/lib/fence.ts.
export { FENCE_FILE, readFence, writeFence, type FenceRecord, type FenceRead } from '../../lib/fence.ts';
