import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { fakeViewport } from './test/utils';
import { useMediaQuery } from './useMediaQuery';

function Probe() {
  return <p>{useMediaQuery('(min-width: 40rem)') ? 'wide' : 'narrow'}</p>;
}

describe('useMediaQuery', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('follows the viewport as it is resized, and stops listening when unmounted', () => {
    const viewport = fakeViewport(390);
    const { unmount } = render(<Probe />);
    expect(screen.getByText('narrow')).toBeInTheDocument();
    act(() => viewport.resize(1024));
    expect(screen.getByText('wide')).toBeInTheDocument();
    unmount();
    expect(viewport.listeners.size).toBe(0);
  });

  it('shows everything where the browser cannot tell', () => {
    vi.stubGlobal('matchMedia', undefined);
    render(<Probe />);
    expect(screen.getByText('wide')).toBeInTheDocument();
  });
});
