import { FormattedMessage } from 'react-intl';

export interface Step {
  key: string;
  label: string;
  state: 'todo' | 'active' | 'done' | 'failed';
  detail?: string | undefined;
}

// Steps shows an operation's progress as an ordered list a screen reader reads in order, each step
// with its state in words.
export function Steps({ steps }: { steps: Step[] }) {
  return (
    <ol className="steps">
      {steps.map((s) => (
        <li key={s.key} className={`step step-${s.state}`} aria-current={s.state === 'active' ? 'step' : undefined}>
          <span className="step-mark" aria-hidden="true">
            {s.state === 'done' ? '✓' : s.state === 'failed' ? '✕' : s.state === 'active' ? '…' : '○'}
          </span>
          <span className="step-label">{s.label}</span>
          <span className="visually-hidden">
            {' '}
            (<FormattedMessage id={`step.${s.state}`} />)
          </span>
          {s.detail && <span className="step-detail">{s.detail}</span>}
        </li>
      ))}
    </ol>
  );
}
