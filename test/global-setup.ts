import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

// Tests run against the real local stack. Start it when it is not up, and leave it as we found it.
const stackScript = resolve(__dirname, '../scripts/stack.sh');

function stackIsUp(): boolean {
  try {
    execFileSync('bash', [stackScript, 'status', '--quiet'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export default function setup(): () => void {
  if (stackIsUp()) return () => undefined;
  execFileSync('bash', [stackScript, 'up'], { stdio: 'inherit' });
  return () => {
    execFileSync('bash', [stackScript, 'down'], { stdio: 'inherit' });
  };
}
