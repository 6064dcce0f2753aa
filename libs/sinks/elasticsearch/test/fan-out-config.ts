import { esUrl } from '@distributary/testkit';
import { sinkConfig } from './helpers';

/** Products joined with their category's name (the fan-out tests' document). */
export function fanOutSinkConfig(alias: string) {
  return sinkConfig({
    name: 'fanout',
    elasticsearch: { url: esUrl(), index: alias, settings: { number_of_replicas: 0 }, retireAfter: 0 },
    from: 'public.products',
    id: '{id}',
    document: { name: 'name', category: { from: 'public.categories', on: { id: 'category_id' }, fields: ['name'] } },
  });
}
