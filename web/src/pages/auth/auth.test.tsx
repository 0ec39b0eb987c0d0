import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { session } from '../../api/session';
import { alice, currentLocation, json, mockApi, renderPage } from '../../test/utils';
import { LoginPage, safeNext } from './LoginPage';
import { RegisterPage } from './RegisterPage';
import { AcceptInvitationPage } from './AcceptInvitationPage';

describe('LoginPage', () => {
  it('checks the form before sending anything', async () => {
    const { calls } = mockApi({});
    renderPage(<LoginPage />, { route: '/login', path: '/login', signedIn: false });
    await userEvent.type(screen.getByLabelText('E-mail'), 'not-an-address');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByLabelText('E-mail')).toHaveAccessibleDescription('This does not look like an e-mail address.');
    expect(screen.getByLabelText('Password')).toHaveAttribute('aria-invalid', 'true');
    expect(calls).toHaveLength(0);
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

  it('keeps the session in memory and goes where the user was headed', async () => {
    const { calls } = mockApi({ 'POST /v1/auth/login': () => json(200, alice) });
    renderPage(<LoginPage />, { route: '/login?next=%2Fjobs%3Fstatus%3Dscored', path: '/login', signedIn: false });
    await userEvent.type(screen.getByLabelText('E-mail'), ' alice@example.com ');
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse battery');
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(currentLocation()).toBe('/jobs?status=scored'));
    expect(calls[0].body).toEqual({ email: 'alice@example.com', password: 'correct horse battery' });
    expect(session.current?.accessToken).toBe('access-1');
    expect(window.localStorage.length + window.sessionStorage.length).toBe(0);
    expect(document.cookie).toBe('');
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
