import { Link } from 'react-router';
import { Empty } from '../components/States';

export function NotFoundPage() {
  return (
    <Empty title="There is no page here">
      <Link className="text-indigo-700 underline" to="/jobs">Go to your jobs</Link>
    </Empty>
  );
}
