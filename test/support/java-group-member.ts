/**
 * A consumer-group member this project did not write: the Kafka Java client from the broker's jars
 * (`.cache/kafka/libs`), run as the single-file program ./java/JavaGroupMember.java. It joins
 * `group` on `topic` with the Java client's own assignors (classic protocol) and stays a member,
 * polling without committing, until `leave()`. Used to hold a group the service is configured to
 * join, as another application using the same group id would.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROGRAM = path.join(REPO_ROOT, 'test', 'support', 'java', 'JavaGroupMember.java');
const CLASSPATH = path.join(REPO_ROOT, '.cache', 'kafka', 'libs', '*');

export interface JavaGroupMember {
  /** leaves the group (closes the consumer) and resolves when the JVM has exited */
  leave(): Promise<void>;
}

/** Resolves once the member owns its partitions; rejects if it exits or is not assigned within `timeoutMs`. */
export function javaGroupMember(brokers: readonly string[], group: string, topic: string, timeoutMs = 120_000): Promise<JavaGroupMember> {
  const child = spawn('java', ['-cp', CLASSPATH, PROGRAM, brokers.join(','), group, topic], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const leave = async (): Promise<void> => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`JavaGroupMember was not assigned within ${timeoutMs}ms\n${stderr.slice(-4000)}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (/^assigned [1-9]/m.test(stdout)) {
        clearTimeout(timer);
        resolve({ leave });
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`JavaGroupMember exited ${code}: ${stdout.trim()}\n${stderr.slice(-4000)}`));
    });
  });
}
