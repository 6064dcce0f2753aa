import { counter, gauge, histogram } from '@distributary/observability';

/** Prometheus metrics of the gateway (served by the process's metrics endpoint, not the gateway port). */
export const gatewayMetrics = {
  subscribers: gauge('distributary_gateway_subscribers', 'Open subscription streams', ['subscription']),
  delivered: counter('distributary_gateway_events_delivered_total', 'Change events sent to clients', ['subscription']),
  deliveryLag: histogram(
    'distributary_gateway_delivery_lag_seconds',
    'Source commit time to the change being written to a client',
    [],
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ),
  closed: counter(
    'distributary_gateway_streams_closed_total',
    'Streams the gateway ended: lagging (slow client, a drop), expired, overflow, error',
    ['subscription', 'reason'],
  ),
  resets: counter('distributary_gateway_resets_total', 'Fresh initial states sent after a reset', ['subscription']),
};
