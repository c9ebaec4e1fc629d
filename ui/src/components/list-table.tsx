import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Empty, ErrorBox } from './ui';

/** One column of a list table: its header and what a row shows in it. */
export interface Column<T> {
  /** The header's text; '' for a column of buttons. */
  head: string;
  cell: (row: T) => ComponentChildren;
  /** The cell's class (e.g. 'wrap' for long URLs), the same for every row or chosen by it. */
  class?: string | ((row: T) => string);
}

/** The pages already seen of a cursor-paged list: the newest page has no cursor. */
export interface Pages<C> {
  cursor: C | undefined;
  atFirst: boolean;
  older: (next: C) => void;
  newest: () => void;
}

/** A cursor stack for "Older »" / "« Newest"; call `newest()` when the filters change. */
export function usePages<C = string>(): Pages<C> {
  const [stack, setStack] = useState<C[]>([]);
  return { cursor: stack.at(-1), atFirst: stack.length === 0, older: (next) => setStack([...stack, next]), newest: () => setStack([]) };
}

/** "« Newest" once paged, "Older »" while the API gave a next cursor, else `end` (nothing at all on the first and only page). */
export function Pager<C>({ pages, next, end }: { pages: Pages<C>; next: C | null | undefined; end?: ComponentChildren }) {
  if (!next && pages.atFirst) return null;
  return (
    <div class="pager">
      {!pages.atFirst ? (
        <button type="button" class="ghost" onClick={pages.newest}>
          « Newest
        </button>
      ) : null}
      {next ? (
        <button type="button" class="ghost" onClick={() => pages.older(next)}>
          Older »
        </button>
      ) : end === undefined ? (
        <span class="muted">end of the list</span>
      ) : (
        end
      )}
    </div>
  );
}

type Body<T> =
  /** One `<tr>` a row, one `<td>` a column. */
  | { columns: ReadonlyArray<Column<T>>; rowKey: (row: T) => string | number; head?: never; row?: never; cards?: never }
  /** The page renders each row's `<tr>` (rows that keep their own state, or take two lines). */
  | { head: readonly string[]; row: (row: T) => ComponentChildren; columns?: never; cards?: never }
  /** No table: each row is a card, inside `<div class={cards}>`. */
  | { cards: 'cards' | 'rows'; row: (row: T) => ComponentChildren; columns?: never; head?: never };

export type ListTableProps<T, C> = Body<T> & {
  /** undefined until the first answer; kept while a reload runs (useLoad). */
  rows: readonly T[] | undefined;
  /** The load's error (none for rows taken from a larger answer the page shows the error of). */
  error?: Error | null;
  /** The error box's title, e.g. "Could not load offers". */
  errorTitle?: string;
  /** What an answered but empty list says. */
  empty: ComponentChildren;
  /** Shows "Loading…" until the first answer. */
  loading?: boolean;
  /** Extra classes of the `<table class="list">`. */
  class?: string;
  /** A cursor-paged list: its pages and the API's next cursor; `end` replaces "end of the list" on the last page (null: nothing). */
  pages?: Pages<C>;
  next?: C | null | undefined;
  end?: ComponentChildren;
};

function Table({ head, children, class: cls }: { head: readonly string[]; children: ComponentChildren; class?: string }) {
  return (
    <div class="table-wrap">
      <table class={cls ? `list ${cls}` : 'list'}>
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/**
 * A list page's list: the API's error, "Loading…" until the first answer, the empty message, then
 * the rows (a table or cards) and the cursor pager. The page keeps its filters and its columns.
 */
export function ListTable<T, C = string>(props: ListTableProps<T, C>) {
  const { rows, error, errorTitle, empty, loading, pages } = props;
  let body: ComponentChildren = null;
  if (rows?.length) {
    if (props.columns) {
      const columns = props.columns;
      body = (
        <Table head={columns.map((c) => c.head)} class={props.class}>
          {rows.map((r) => (
            <tr key={props.rowKey(r)}>
              {columns.map((c, i) => (
                <td key={i} class={typeof c.class === 'function' ? c.class(r) : c.class}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </Table>
      );
    } else if (props.head) {
      body = (
        <Table head={props.head} class={props.class}>
          {rows.map(props.row)}
        </Table>
      );
    }
  }
  return (
    <>
      <ErrorBox error={error} title={errorTitle} />
      {loading && !rows ? <p class="loading">Loading…</p> : null}
      {rows && rows.length === 0 ? <Empty>{empty}</Empty> : null}
      {props.cards ? <div class={props.cards}>{(rows ?? []).map(props.row)}</div> : body}
      {pages ? <Pager pages={pages} next={props.next} end={props.end} /> : null}
    </>
  );
}
