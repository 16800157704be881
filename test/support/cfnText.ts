/** A CloudFormation string as text: `Fn::Join` flattened, `{Ref: X}` as `<X>` and `Fn::GetAtt` as `<X.Attr>`. */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(text).join(v['Fn::Join'][0]);
  throw new Error(`not a string: ${JSON.stringify(value)}`);
}
