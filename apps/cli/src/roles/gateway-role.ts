import { connectRedis } from '@distributary/changelog';
import { Gateway } from '@distributary/gateway';
import { createLogger } from '@distributary/observability';
import type { StartRole } from './role';

/**
 * The live-subscription gateway (docs/gateway.md): its own HTTP port, one tail of the log, initial
 * states read from the source. `run` starts it only when the configuration declares `subscriptions`.
 */
export const startGatewayRole: StartRole = async (config) => {
  if (!config.gateway || !config.subscriptions?.length)
    throw new Error('the gateway role needs `gateway` (signing keys) and at least one entry in `subscriptions`');
  const redis = connectRedis(config.log.redis);
  const gateway = new Gateway({
    gateway: config.gateway,
    subscriptions: config.subscriptions,
    redis,
    namespace: config.log.namespace,
    partitions: config.log.partitions,
    sourceUrl: config.source.postgres.url,
    slot: config.source.postgres.slot,
  });
  try {
    const port = await gateway.start();
    createLogger('cli').info({ port, host: config.gateway.host }, 'subscription gateway listening');
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return {
    stop: async () => {
      await gateway.stop();
      redis.disconnect();
    },
  };
};
