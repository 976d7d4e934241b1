/** Database rotation on a real PostgreSQL server (see support/suite.ts for what is checked). */
import { describeDatabaseRotation } from './support/suite';

describeDatabaseRotation('postgres');
