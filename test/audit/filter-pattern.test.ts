import { FilterPatternSyntaxError, matchesFilterPattern } from './filter-pattern';

const record = {
  eventSource: 'secretsmanager.amazonaws.com',
  eventName: 'GetSecretValue',
  requestParameters: { secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf' },
  resources: [{ ARN: 'arn:aws:kms:eu-west-1:123456789012:key/1234' }, { ARN: 'second' }],
  responseElements: null,
  readOnly: true,
  flag: false,
  flagAsString: 'false',
};

describe('the test evaluator of CloudWatch Logs JSON filter patterns', () => {
  test.each([
    ['{ $.eventName = "GetSecretValue" }', true],
    ['{ $.eventName = "GetSecret" }', false],
    ['{ $.eventName != "PutSecretValue" }', true],
    ['{ $.eventName != "GetSecretValue" }', false],
    ['{ $.eventName = "Get*" }', true],
    ['{ $.eventName = "*Value" }', true],
    ['{ $.eventName = "*Secret*" }', true],
    ['{ $.eventName = "GetSecretValue*" }', true],
    ['{ $.eventName = "Put*" }', false],
    ['{ $.requestParameters.secretId = "*:secret:app/*" }', true],
    ['{ $.requestParameters.secretId = "app/*" }', false],
    ['{ $.requestParameters.secretId = "*:secret:ap/*" }', false],
    ['{ $.resources[0].ARN = "*1234" }', true],
    ['{ $.resources[1].ARN = "*1234" }', false],
    ['{ $.resources[2].ARN = "*" }', false],
    ['{ $.errorCode NOT EXISTS }', true],
    ['{ $.eventName NOT EXISTS }', false],
    ['{ $.errorCode = "*" }', false],
    ['{ $.responseElements.arn = "*" }', false],
    ['{ $.readOnly = "true" }', false],
    ['{ $.eventName = "A" || $.eventName = "GetSecretValue" }', true],
    ['{ $.eventName = "A" || $.eventName = "B" }', false],
    ['{ $.eventName = "GetSecretValue" && $.eventSource = "kms.amazonaws.com" }', false],
    ['{ ($.eventName = "A" || $.eventName = "GetSecretValue") && $.errorCode NOT EXISTS }', true],
    ['{ (($.eventName = "A") || ($.eventSource = "x")) && $.readOnly NOT EXISTS }', false],
    ['{ $.readOnly IS TRUE }', true],
    ['{ $.readOnly IS FALSE }', false],
    ['{ $.writeOnly IS FALSE }', false],
    ['{ $.flag IS FALSE }', true],
    ['{ $.flagAsString IS FALSE }', false],
    ['{ $.resources[0].ARN NOT EXISTS || $.resources[0].ARN != "*1234" }', false],
    ['{ $.userIdentity.arn NOT EXISTS || $.userIdentity.arn != "x" }', true],
  ])('%s evaluates to %s', (pattern, expected) => {
    expect(matchesFilterPattern(pattern, record)).toBe(expected);
  });

  test.each([
    ['{ $.a = "x" && $.b = "y" || $.c = "z" }', /mixes && and \|\|/],
    ['$.a = "x"', /expected "\{"/],
    ['{ $.a = x }', /expected a quoted string/],
    ['{ $.a = "x }', /unterminated string/],
    ['{ $.a ~ "x" }', /expected =, !=, NOT EXISTS, IS TRUE or IS FALSE/],
    ['{ $.a IS NULL }', /expected =, !=, NOT EXISTS, IS TRUE or IS FALSE/],
    ['{ a = "x" }', /selector starting with \$/],
    ['{ $ = "x" }', /empty selector/],
    ['{ ($.a = "x" }', /expected "\)"/],
    ['{ $.a = "x" } extra', /unexpected text/],
    ['{ $.a = "x\\"y" }', /escapes/],
  ])('refuses %s', (pattern, message) => {
    expect(() => matchesFilterPattern(pattern, record)).toThrow(FilterPatternSyntaxError);
    expect(() => matchesFilterPattern(pattern, record)).toThrow(message);
  });
});
