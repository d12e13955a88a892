/**
 * A random address in 127.0.0.0/8 other than 127.0.0.1, the way the sandbox isolates
 * environments: an extension can bind Lambda's fixed ports (4318, 4243) on it while other
 * processes on the machine use the same ports on other loopback addresses.
 */
import { randomInt } from 'node:crypto';

export function randomLoopbackAddress(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}
