import { describe, expect, it, vi } from 'vitest';
import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { fakeViewport, mockApi, renderPage } from '../test/utils';
import { Layout } from './Layout';

function withPage(page: React.ReactNode) {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route path="*" element={page} />
      </Route>
    </Routes>
  );
}

describe('Layout', () => {
  it('commits the header before it renders the page', async () => {
    mockApi({});
    const headerThere: boolean[] = [];
    function Page() {
      headerThere.push(document.querySelector('header') !== null);
      return <p>the page</p>;
    }
    renderPage(withPage(<Page />), { route: '/jobs' });
    expect(await screen.findByText('the page')).toBeInTheDocument();
    // Rendered in the same pass as the header, the page would find no header in the document.
    expect(headerThere[0]).toBe(true);
  });

  it('builds the row of links only on a wide screen; a phone opens it from "Menu"', async () => {
    mockApi({});
    const viewport = fakeViewport(390);
    try {
      renderPage(withPage(<p>the page</p>), { route: '/jobs' });
      await screen.findByText('the page');
      expect(screen.queryByRole('navigation', { name: 'Main' })).not.toBeInTheDocument();
      await userEvent.click(screen.getByRole('button', { name: 'Menu' }));
      expect(screen.getByRole('navigation', { name: 'Main' })).toContainElement(screen.getByRole('link', { name: 'Board' }));
      await userEvent.click(screen.getByRole('button', { name: 'Menu' }));
      act(() => viewport.resize(1024));
      expect(screen.getByRole('navigation', { name: 'Main' })).toContainElement(screen.getByRole('link', { name: 'Analytics' }));
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
