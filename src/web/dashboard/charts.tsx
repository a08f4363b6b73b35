/** Pictures drawn as HTML: horizontal bars of counts (no script needed, readable by screen readers). */
import { Empty } from './components.tsx';

export function Bars(props: { counts: Record<string, number> | null | undefined; empty?: string; label?: string; keepOrder?: boolean }) {
  const entries = Object.entries(props.counts ?? {});
  if (!props.keepOrder) entries.sort((a, b) => b[1] - a[1]);
  if (!entries.length) return <Empty>{props.empty ?? 'nothing'}</Empty>;
  const max = Math.max(1, ...entries.map(([, n]) => n));
  return (
    <div class="bars" role="table" aria-label={props.label}>
      {entries.map(([name, n]) => (
        <>
          <span role="cell">{name}</span>
          <span role="presentation">
            <span class="bar" style={`width: ${((100 * n) / max).toFixed(1)}%; display: block`}></span>
          </span>
          <span role="cell" class="num">
            {n}
          </span>
        </>
      ))}
    </div>
  );
}
