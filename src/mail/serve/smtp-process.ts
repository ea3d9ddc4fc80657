// What the `smtp` service process runs: the SMTP listeners and the outbound queue
// runner together, because the queue belongs to the process that accepts the mail
// (a message queued by SMTP is handed to the runner at once with kick()).
import type { MailContext, RunningService } from '../core/context.ts';
import { startSmtpService } from '../smtp/service.ts';
import { startQueueRunner } from '../queue/runner.ts';
import { deliverLocal } from '../delivery/local.ts';

export async function startSmtpProcess(ctx: MailContext): Promise<RunningService> {
  const runner = startQueueRunner(ctx, { deliverLocal });
  let smtp;
  try {
    smtp = await startSmtpService(ctx, { onRemoteQueued: () => runner.kick() });
  } catch (err) {
    await runner.close();
    throw err;
  }
  return {
    name: 'smtp',
    listening: smtp.listening,
    async close() {
      // Stop accepting first, then let the runner finish the deliveries in progress.
      await smtp.close();
      await runner.close();
    },
  };
}
