import type { ApplyResult, ChangeEvent, RejectedEvent } from '@distributary/core';
import type { BulkOp, BulkOutcome } from './bulk-op';
import { explainRejection } from './explain-rejection';

/**
 * What a batch did, counted in documents of the first target index (the serving one; a building index
 * written alongside during a rebuild is not counted twice). An event refused by any target is
 * reported once in `rejected`, with the planning rejections first; a mapping refusal is explained
 * (explain-rejection.ts).
 */
export function summarize(
  planned: RejectedEvent[],
  ops: BulkOp[],
  outcomes: BulkOutcome[],
  primaryIndex: string,
): ApplyResult {
  const result: ApplyResult = { applied: 0, skippedAsStale: 0, rejected: [...planned] };
  const reported = new Set<ChangeEvent>(planned.map((r) => r.event));
  outcomes.forEach((outcome, i) => {
    const op = ops[i];
    if (outcome.result === 'rejected') {
      if (!reported.has(op.event)) result.rejected.push({ event: op.event, error: explainRejection(outcome.error) });
      reported.add(op.event);
    } else if (op.index === primaryIndex) {
      result[outcome.result === 'applied' ? 'applied' : 'skippedAsStale']++;
    }
  });
  return result;
}
