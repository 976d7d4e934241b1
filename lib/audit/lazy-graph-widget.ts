import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * A graph whose metrics are chosen when the dashboard is rendered at synth, so that rotation
 * functions created after `watch()` still appear.
 */
export class LazyGraphWidget implements cloudwatch.IWidget {
  private x = 0;
  private y = 0;

  constructor(
    public readonly width: number,
    public readonly height: number,
    private readonly props: () => Pick<cloudwatch.GraphWidgetProps, 'title' | 'left'>,
  ) {}

  public position(x: number, y: number): void {
    this.x = x;
    this.y = y;
  }

  public toJson(): unknown[] {
    const props = this.props();
    const size = { width: this.width, height: this.height };
    const widget =
      props.left && props.left.length > 0
        ? new cloudwatch.GraphWidget({ ...props, ...size })
        : new cloudwatch.TextWidget({
            markdown: `### ${props.title}\nNo watched vault has a rotating secret.`,
            ...size,
          });
    widget.position(this.x, this.y);
    return widget.toJson();
  }
}
