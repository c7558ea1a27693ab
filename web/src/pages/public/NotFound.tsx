import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { Page } from '../../ui/kit';

export function NotFound() {
  const intl = useIntl();
  return (
    <Page title={intl.formatMessage({ id: 'notFound.title' })}>
      <p>
        <FormattedMessage id="notFound.body" />
      </p>
      <p>
        <Link to="/">
          <FormattedMessage id="notFound.home" />
        </Link>
      </p>
    </Page>
  );
}
