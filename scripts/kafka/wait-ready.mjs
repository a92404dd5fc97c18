#!/usr/bin/env node
// Poll a Kafka broker until it answers metadata requests (kafkajs admin describeCluster).
// Usage: node wait-ready.mjs <host:port[,host:port]> [timeoutSeconds=90] [pidToWatch]
// Exit codes: 0 ready, 1 timed out, 2 the watched process died.
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const [brokersArg, timeoutArg = '90', pidArg] = process.argv.slice(2);
if (!brokersArg) {
  console.error('usage: wait-ready.mjs <host:port> [timeoutSeconds] [pid]');
  process.exit(64);
}
const brokers = brokersArg
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const pid = pidArg ? Number(pidArg) : undefined;

const alive = (p) => {
  try {
    process.kill(p, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let lastError = 'no attempt made';
while (Date.now() < deadline) {
  if (pid !== undefined && !alive(pid)) {
    console.error(`[kafka] broker process ${pid} exited before becoming ready`);
    process.exit(2);
  }
  const admin = new Kafka({
    clientId: 'kafka-wait-ready',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller !== -1) {
      await admin.disconnect().catch(() => {});
      process.exit(0);
    }
    lastError = `cluster not ready yet: ${JSON.stringify(cluster)}`;
  } catch (err) {
    lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  await admin.disconnect().catch(() => {});
  await sleep(300);
}
console.error(`[kafka] broker ${brokers.join(',')} not ready after ${timeoutArg}s (last error: ${lastError})`);
process.exit(1);
