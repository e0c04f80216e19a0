import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release } from 'node:os';

export interface MachineInfo {
  readonly date: string;
  /** What `nproc` says. */
  readonly cpus: number;
  /** `model name` from /proc/cpuinfo. */
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1].trim();
  } catch {
    // Not Linux: Node's own reading below.
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}

export function machineInfo(): MachineInfo {
  return {
    date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    cpus: availableParallelism(),
    cpuModel: cpuModel(),
    node: process.version,
    platform: `${platform()} ${release()}`,
  };
}
