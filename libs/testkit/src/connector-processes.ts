import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '../../..');

/**
 * Connector processes a test starts (apps/connector/src/main.ts under tsx, log level warn, stderr
 * shown) and may SIGKILL one by one; killAll() in afterAll ends those still running.
 */
export class ConnectorProcesses {
  private readonly children = new Set<ChildProcess>();

  start(configFile: string): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/connector/src/main.ts', '--config', configFile], {
      cwd: REPO_ROOT,
      env: { ...process.env, DISTRIBUTARY_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  killAll(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}
