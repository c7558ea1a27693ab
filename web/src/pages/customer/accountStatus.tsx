import { FormattedMessage } from 'react-intl';
import type { components } from '../../api/schema';
import { Badge } from '../../ui/kit';

export type Account = components['schemas']['Account'];

export function AccountStatus({ account }: { account: Pick<Account, 'status'> }) {
  const tone = account.status === 'active' ? 'ok' : account.status === 'frozen' ? 'bad' : 'neutral';
  return (
    <Badge tone={tone}>
      <FormattedMessage id={`account.status.${account.status}`} />
    </Badge>
  );
}
