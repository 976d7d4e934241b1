/** Database rotation on a real MariaDB server (see support/suite.ts for what is checked). */
import { describeDatabaseRotation } from './support/suite';

describeDatabaseRotation('mysql');
