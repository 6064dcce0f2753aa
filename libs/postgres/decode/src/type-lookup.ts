import type { ValueKind } from './types/value-kind';

/**
 * How a column's type OID is converted: the decoder asks, the catalog answers (pg-catalog's
 * TypeResolver reads pg_type, cached per OID). A port, so decoding does no I/O of its own.
 */
export interface TypeLookup {
  resolve(typeOid: number): Promise<ValueKind>;
}
