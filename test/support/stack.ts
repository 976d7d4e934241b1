import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const OTHER_ACCOUNT = '210987654321';

/**
 * A fresh App and Stack for one behaviour. aws-cdk-lib's built-in CloudFormation validator costs
 * about 3 s a synth; unit tests turn it off, and test/example-app.test.ts keeps it on.
 */
export function newStack(options: { env?: boolean } = {}): { app: App; stack: Stack } {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(
    app,
    'Test',
    options.env === false ? {} : { env: { account: ACCOUNT, region: REGION } },
  );
  return { app, stack };
}

export function template(stack: Stack): Template {
  return Template.fromStack(stack);
}

/** The resources of one type, by logical id. */
export function resourcesOf(stack: Stack, type: string): Record<string, { Properties: Record<string, any> }> {
  return Template.fromStack(stack).findResources(type) as Record<string, { Properties: Record<string, any> }>;
}

/** The only resource of a type (fails if there are more or none). */
export function onlyResource(stack: Stack, type: string): { Properties: Record<string, any> } {
  const found = Object.values(resourcesOf(stack, type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as { Properties: Record<string, any> };
}

/** The statements of a policy document, with their Sid as key when they have one. */
export function statementsBySid(document: { Statement: any[] }): Record<string, any> {
  return Object.fromEntries(document.Statement.filter((s) => s.Sid).map((s) => [s.Sid, s]));
}
