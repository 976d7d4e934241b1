import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * An alarm status widget whose alarms are chosen when the dashboard is rendered at synth, so that
 * an alarm created by a later `watch()` (the break-glass alarm) still appears.
 */
export class LazyAlarmStatusWidget implements cloudwatch.IWidget {
  private x = 0;
  private y = 0;

  constructor(
    public readonly width: number,
    public readonly height: number,
    private readonly title: string,
    private readonly alarms: () => cloudwatch.IAlarm[],
  ) {}

  public position(x: number, y: number): void {
    this.x = x;
    this.y = y;
  }

  public toJson(): unknown[] {
    const widget = new cloudwatch.AlarmStatusWidget({
      title: this.title,
      alarms: this.alarms(),
      width: this.width,
      height: this.height,
    });
    widget.position(this.x, this.y);
    return widget.toJson();
  }
}
