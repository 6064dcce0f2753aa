import type { ReactNode } from 'react';

/** A titled panel holding one table: `head` is the header row's cells, `children` the body's rows. */
export function TablePanel({
  label,
  title,
  testId,
  head,
  children,
}: {
  label: string;
  title: string;
  testId: string;
  head: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="panel" aria-label={label}>
      <h2>{title}</h2>
      <div className="table-wrap">
        <table className="table" data-testid={testId}>
          <thead>
            <tr>{head}</tr>
          </thead>
          <tbody>{children}</tbody>
        </table>
      </div>
    </section>
  );
}
