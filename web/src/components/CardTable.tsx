/*
 * A `.table` whose rows stack as cards below the md breakpoint (as the Trash page's do): the header row is hidden,
 * each row is a block and each cell a line of it, labelled by CardLabel. Nothing then needs sideways scrolling on a
 * phone, and from md up it is the usual table.
 */
export const CARD_THEAD = 'hidden md:table-header-group';
export const CARD_ROW = 'block border-b border-slate-200 py-2 md:table-row md:py-0 dark:border-slate-800';
export const CARD_CELL = 'block border-b-0 py-1 md:table-cell md:border-b md:py-2';

/** A cell's column name, shown above it only where the rows stack as cards. */
export function CardLabel({ children }: { children: string }) {
  return <span className="block text-xs font-semibold text-slate-600 md:hidden dark:text-slate-300">{children}</span>;
}
