import { describe, expect, it, vi } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Link, MemoryRouter, Route, Routes } from 'react-router';
import { PageBoundary } from './components/PageBoundary';
import { lazyPage, pages, preloadPage } from './routes';

// Awaited: React retries a render that suspended on `use` inside `act` only when the act is awaited.
const show = (ui: React.ReactElement) => act(async () => void render(ui));

function Shell({ page, path = '/a' }: { page: ReturnType<typeof lazyPage>; path?: string }) {
  return (
    <MemoryRouter initialEntries={[path]}>
      <Link to="/b">elsewhere</Link>
      <PageBoundary>
        <Routes>
          <Route path="/a" element={<page.Component />} />
          <Route path="/b" element={<p>Page B</p>} />
        </Routes>
      </PageBoundary>
    </MemoryRouter>
  );
}

describe('lazyPage', () => {
  it('fetches a chunk once, whether preloaded first or only rendered', async () => {
    const load = vi.fn(async () => () => <h1>Page A</h1>);
    const page = lazyPage(load);
    void page.preload();
    void page.preload();
    await show(<Shell page={page} />);
    expect(await screen.findByRole('heading', { name: 'Page A' })).toBeInTheDocument();
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('renders a page whose chunk has arrived at once, without a spinner in between', async () => {
    const page = lazyPage(async () => () => <h1>Page A</h1>);
    await page.preload();
    render(<Shell page={page} />);
    expect(screen.getByRole('heading', { name: 'Page A' })).toBeInTheDocument();
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });

  it('shows a spinner while the chunk loads', async () => {
    let arrive: (c: () => React.ReactNode) => void = () => undefined;
    const page = lazyPage(() => new Promise<() => React.ReactNode>((resolve) => (arrive = resolve)));
    await show(<Shell page={page} />);
    expect(screen.getByRole('status')).toHaveTextContent('Loading…');
    arrive(() => <h1>Page A</h1>);
    expect(await screen.findByRole('heading', { name: 'Page A' })).toBeInTheDocument();
  });

  it('tries again on opening the page after a preload failed (a link pointed at while offline)', async () => {
    const load = vi
      .fn<() => Promise<() => React.ReactNode>>()
      .mockRejectedValueOnce(new TypeError('Failed to fetch dynamically imported module'))
      .mockResolvedValue(() => <h1>Page A</h1>);
    const page = lazyPage(load);
    await expect(page.preload()).rejects.toThrow('Failed to fetch');
    await show(<Shell page={page} />);
    expect(await screen.findByRole('heading', { name: 'Page A' })).toBeInTheDocument();
    expect(load).toHaveBeenCalledTimes(2);
  });
});

describe('PageBoundary', () => {
  it('offers a reload when a page’s code cannot be fetched (an old tab after a deploy), and other pages still open', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const page = lazyPage(() => Promise.reject(new TypeError('Failed to fetch dynamically imported module')));
    await show(<Shell page={page} />);
    expect(await screen.findByRole('alert')).toHaveTextContent('This page could not be opened');
    expect(screen.getByRole('button', { name: 'Reload' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('link', { name: 'elsewhere' }));
    expect(await screen.findByText('Page B')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});

describe('preloadPage', () => {
  it('starts the chunk of the page an address opens, and nothing for a page in the shell', () => {
    const spies = Object.fromEntries(Object.entries(pages).map(([name, p]) => [name, vi.spyOn(p, 'preload').mockResolvedValue(undefined)]));
    const called = () => Object.entries(spies).filter(([, s]) => s.mock.calls.length > 0).map(([name]) => name);

    preloadPage('/jobs/01JJOB0000?tab=notes');
    expect(called()).toEqual(['jobDetail']);
    vi.clearAllMocks();
    preloadPage('/');
    expect(called()).toEqual(['jobs']);
    vi.clearAllMocks();
    preloadPage('/reset-password?token=x');
    expect(called()).toEqual(['resetPassword']);
    vi.clearAllMocks();
    preloadPage('/login');
    preloadPage('/no-such-page');
    expect(called()).toEqual([]);
  });
});
