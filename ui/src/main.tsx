import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, get, onSignedOut } from './api';
import { Link } from './components/ui';
import { match, navigate, useLocation } from './router';
import { ConversionDetailPage } from './pages/conversion-detail';
import { ConversionsPage } from './pages/conversions';
import { DeliveriesPage } from './pages/deliveries';
import { DestinationsPage } from './pages/destinations';
import { LinksPage } from './pages/links';
import { NetworkOffersPage } from './pages/network-offers';
import { NetworkPostbacksPage } from './pages/network-postbacks';
import { NetworkReportPage } from './pages/network-report';
import { OverviewPage } from './pages/overview';
import { PostbacksPage } from './pages/postbacks';
import { SignInPage } from './pages/sign-in';
import './styles.css';

const NAV: Array<[string, string]> = [
  ['/', 'Overview'],
  ['/conversions', 'Conversions'],
  ['/deliveries', 'Deliveries'],
  ['/destinations', 'Destinations'],
  ['/postbacks', 'Postbacks received'],
  ['/links', 'Links & sources'],
  ['/network/offers', 'Offers & partners'],
  ['/network/postbacks', 'Partner postbacks'],
  ['/network/report', 'Postback report'],
];

function Page({ path }: { path: string }) {
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <OverviewPage />;
  if ((m = match('/conversions/:id', path))) return <ConversionDetailPage id={m.id as string} />;
  if (match('/conversions', path)) return <ConversionsPage />;
  if (match('/deliveries', path)) return <DeliveriesPage />;
  if (match('/destinations', path)) return <DestinationsPage />;
  if (match('/postbacks', path)) return <PostbacksPage />;
  if (match('/links', path)) return <LinksPage />;
  if (match('/network/offers', path)) return <NetworkOffersPage />;
  if (match('/network/postbacks', path)) return <NetworkPostbacksPage />;
  if (match('/network/report', path)) return <NetworkReportPage />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no console page at <code>/ui{path}</code>. <Link to="/">Go to the overview</Link>.
      </p>
    </section>
  );
}

function App() {
  const loc = useLocation();
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => {
    get('/v1/session').then(
      () => setSignedIn(true),
      () => setSignedIn(false),
    );
    return onSignedOut(() => setSignedIn(false));
  }, []);
  useEffect(() => setMenuOpen(false), [loc.path]);

  if (signedIn === null) return <p class="loading">Loading…</p>;
  if (!signedIn) return <SignInPage onSignedIn={() => setSignedIn(true)} />;
  const signOut = async () => {
    await api('DELETE', '/v1/session').catch(() => undefined);
    setSignedIn(false);
    navigate('/', true);
  };
  const active = (to: string) => (to === '/' ? loc.path === '/' : loc.path === to || loc.path.startsWith(`${to}/`));
  return (
    <div class="shell">
      <header class="top">
        <Link to="/" class="brand">
          Closeloop
        </Link>
        <button type="button" class="ghost menu" aria-expanded={menuOpen} onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <nav class={menuOpen ? 'open' : ''} aria-label="Console pages">
          {NAV.map(([to, label]) => (
            <Link key={to} to={to} class={active(to) ? 'active' : ''}>
              {label}
            </Link>
          ))}
        </nav>
        <button type="button" class="ghost signout" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        <Page path={loc.path} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
