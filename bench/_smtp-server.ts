// Launcher for bench/smtp.ts: runs the SMTP service over an existing volume in its
// own process (so its peak RSS can be read from /proc), prints one JSON line with
// the ports when ready, and closes gracefully on SIGTERM.
import { openMailContext } from '../src/mail/core/context.ts';
import { startSmtpService } from '../src/mail/smtp/service.ts';

const dataDir = process.argv[2];
if (!dataDir) {
  console.error('usage: node --import tsx bench/_smtp-server.ts DATA_DIR');
  process.exit(2);
}
const ctx = await openMailContext(dataDir, 'smtp');
const svc = await startSmtpService(ctx);
process.stdout.write(`${JSON.stringify({ ready: true, ports: svc.ports })}\n`);
process.on('SIGTERM', () => {
  void svc.close().then(() => {
    ctx.directory.close();
    process.exit(0);
  });
});
