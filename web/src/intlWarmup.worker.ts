// Runs once per page load, off the main thread: see warmIntl.ts.
import { formatDate, formatDay, formatSalary } from './format';

const now = new Date();
formatDate(now.toISOString());
formatDay(now.toISOString().slice(0, 10));
formatSalary({ min: 65000, max: 80000, currency: 'EUR', interval: 'year' });
formatSalary({ min: 50, max: null, currency: null, interval: 'hour' });
self.close();
