import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { session } from '../../api/session';
import { alice, currentLocation, json, mockApi, renderPage } from '../../test/utils';
import { LoginPage, safeNext } from './LoginPage';
import { RegisterPage } from './RegisterPage';
import { AcceptInvitationPage } from './AcceptInvitationPage';
import { App } from '../../App';
import { pages } from '../../routes';

describe('LoginPage', () => {
  it('checks the form before sending anything', async () => {
    const { calls } = mockApi({});
    renderPage(<LoginPage />, { route: '/login', path: '/login', signedIn: false });
    await userEvent.type(screen.getByLabelText('E-mail'), 'not-an-address');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByLabelText('E-mail')).toHaveAccessibleDescription('This does not look like an e-mail address.');
    expect(screen.getByLabelText('Password')).toHaveAttribute('aria-invalid', 'true');
    // Only the page load's question whether the session cookie holds a session.
    expect(calls.map((c) => c.path)).toEqual(['/v1/auth/refresh']);
  });

  it('says plainly when the credentials do not match', async () => {
    mockApi({ 'POST /v1/auth/login': () => json(401, { error: { code: 'unauthorized', message: 'invalid credentials' } }) });
    renderPage(<LoginPage />, { route: '/login', path: '/login', signedIn: false });
    await userEvent.type(screen.getByLabelText('E-mail'), 'a@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'wrong password');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('That e-mail and password do not match an account.');
    expect(session.current).toBeNull();
  });

  it('keeps the access token in memory, asks for the cookie, and goes where the user was headed', async () => {
    const { calls } = mockApi({ 'POST /v1/auth/login': () => json(200, { ...alice, refreshToken: undefined }) });
    renderPage(<LoginPage />, { route: '/login?next=%2Fjobs%3Fstatus%3Dscored', path: '/login', signedIn: false });
    await userEvent.type(screen.getByLabelText('E-mail'), ' alice@example.com ');
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse battery');
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(currentLocation()).toBe('/jobs?status=scored'));
    const login = calls.find((c) => c.path === '/v1/auth/login')!;
    expect(login.body).toEqual({ email: 'alice@example.com', password: 'correct horse battery' });
    expect(login.headers['x-jobmon-session']).toBe('cookie');
    expect(session.current?.accessToken).toBe('access-1');
    expect(session.current?.refreshToken).toBeUndefined();
    expect(window.localStorage.length + window.sessionStorage.length).toBe(0);
    expect(document.cookie).toBe('');
  });

  it('loads the page it will open while the password is checked', async () => {
    let answer: (r: Response) => void = () => undefined;
    mockApi({ 'POST /v1/auth/login': () => new Promise<Response>((resolve) => (answer = resolve)) });
    const sources = vi.spyOn(pages.sources, 'preload').mockResolvedValue(undefined);
    renderPage(<LoginPage />, { route: '/login?next=%2Fsources', path: '/login', signedIn: false });
    await userEvent.type(screen.getByLabelText('E-mail'), 'alice@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse battery');
    await userEvent.keyboard('{Enter}');
    // The login request is still open: the sources page is already on its way.
    await waitFor(() => expect(sources).toHaveBeenCalled());
    answer(json(200, { ...alice, refreshToken: undefined }));
    await waitFor(() => expect(currentLocation()).toBe('/sources'));
  });

  it('never redirects off the site', () => {
    expect(safeNext('//evil.example/x')).toBe('/jobs');
    expect(safeNext('https://evil.example')).toBe('/jobs');
    expect(safeNext('/sources')).toBe('/sources');
  });
});

describe('RegisterPage', () => {
  it('shows the API’s field errors next to the field', async () => {
    mockApi({
      'POST /v1/auth/register': () =>
        json(400, { error: { code: 'validation_failed', message: 'invalid', details: { tenantName: 'must be at most 100 characters' } } }),
    });
    renderPage(<RegisterPage />, { route: '/register', path: '/register', signedIn: false });
    await userEvent.type(screen.getByLabelText('E-mail'), 'b@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'short');
    await userEvent.type(screen.getByLabelText('Workspace name'), 'Bob');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Use at least 10 characters.');
    await userEvent.clear(screen.getByLabelText('Password'));
    await userEvent.type(screen.getByLabelText('Password'), 'a long passphrase');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => expect(screen.getByLabelText('Workspace name')).toHaveAccessibleDescription('Must be at most 100 characters'));
  });

  it('tells an existing user so, on the e-mail field', async () => {
    mockApi({ 'POST /v1/auth/register': () => json(409, { error: { code: 'conflict', message: 'email taken' } }) });
    renderPage(<RegisterPage />, { route: '/register', path: '/register', signedIn: false });
    await userEvent.type(screen.getByLabelText('E-mail'), 'b@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'a long passphrase');
    await userEvent.type(screen.getByLabelText('Workspace name'), 'Bob');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => expect(screen.getByLabelText('E-mail')).toHaveAccessibleDescription('An account with this e-mail already exists.'));
  });
});

describe('AcceptInvitationPage', () => {
  it('explains a spent invitation', async () => {
    mockApi({
      'POST /v1/auth/invitations/accept': () =>
        json(400, { error: { code: 'validation_failed', message: 'invalid', details: { token: 'invalid, expired or already used' } } }),
    });
    renderPage(<AcceptInvitationPage />, { route: '/accept-invitation?token=abc', path: '/accept-invitation', signedIn: false });
    await userEvent.type(screen.getByLabelText('Password'), 'a long passphrase');
    await userEvent.click(screen.getByRole('button', { name: 'Accept invitation' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('This invitation has expired or was already used.');
  });
});

describe('staying signed in', () => {
  it('opens the session the cookie holds on a reload, a new tab or a bookmark', async () => {
    const { calls } = mockApi({
      'POST /v1/auth/refresh': () => json(200, { ...alice, refreshToken: undefined }),
      'GET /v1/sources': () => json(200, { items: [], nextCursor: null }),
      'GET /v1/jobs': () => json(200, { items: [], nextCursor: null }),
    });
    renderPage(<App />, { route: '/jobs?status=scored', signedIn: false });
    expect(await screen.findByRole('heading', { name: 'Jobs' })).toBeInTheDocument();
    expect(currentLocation()).toBe('/jobs?status=scored');
    const refresh = calls.find((c) => c.path === '/v1/auth/refresh')!;
    expect(refresh.headers['x-jobmon-session']).toBe('cookie');
    expect(refresh.body).toBeUndefined();
    expect(session.current?.user.email).toBe('alice@example.com');
  });

  it('goes to sign-in, keeping the way back, when the cookie holds no session', async () => {
    mockApi({ 'POST /v1/auth/refresh': () => json(401, { error: { code: 'unauthorized', message: 'no' } }) });
    renderPage(<App />, { route: '/sources', signedIn: false });
    await waitFor(() => expect(currentLocation()).toBe('/login?next=%2Fsources'));
  });

  it('signs out on the server too, which clears the cookie', async () => {
    const { calls } = mockApi({
      'POST /v1/auth/logout': () => json(204),
      'GET /v1/sources': () => json(200, { items: [], nextCursor: null }),
      'GET /v1/jobs': () => json(200, { items: [], nextCursor: null }),
    });
    renderPage(<App />, { route: '/jobs', as: { ...alice, refreshToken: undefined } });
    await screen.findByRole('heading', { name: 'Jobs' });
    await userEvent.click(screen.getAllByRole('button', { name: 'Sign out' })[0]);
    await waitFor(() => expect(calls.some((c) => c.path === '/v1/auth/logout')).toBe(true));
    const logout = calls.find((c) => c.path === '/v1/auth/logout')!;
    expect(logout.headers['x-jobmon-session']).toBe('cookie');
    expect(logout.body).toBeUndefined();
    expect(session.current).toBeNull();
  });
});
