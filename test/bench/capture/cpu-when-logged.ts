import { cpuMicros } from './proc-stats';

/**
 * The CPU time (µs) a child process had used when its output first held `text`, polled every
 * `everyMs` (a string search in this process: no load on the child): its start-up cost up to a logged
 * stage. Undefined when the process ended first or `stop()` was called before.
 */
export function cpuWhenLogged(
  child: { pid: number; output: string },
  text: string,
  everyMs = 5,
): { cpu: Promise<number | undefined>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let settle: (value: number | undefined) => void = () => undefined;
  const cpu = new Promise<number | undefined>((resolve) => {
    settle = resolve;
    timer = setInterval(() => {
      if (!child.output.includes(text)) return;
      clearInterval(timer);
      resolve(cpuMicros(child.pid));
    }, everyMs);
  });
  return {
    cpu,
    stop: () => {
      clearInterval(timer);
      settle(undefined);
    },
  };
}
