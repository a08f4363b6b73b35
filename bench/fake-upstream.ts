/**
 * The loopback fake model server (test/support/fake-model-server.ts) in a process of its own, so
 * that a benchmark's hub and load generator do not share its event loop. Prints its URL on stdout.
 */
import { startFakeModelServer } from '../test/support/fake-model-server.ts';

const server = await startFakeModelServer({ reply: () => 'Thanks for reaching out. Your order ships tomorrow.' });
process.stdout.write(`${server.url}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
