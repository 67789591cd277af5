import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Where the router's log-derived metrics go. */
export const FLEET_METRICS_NAMESPACE = 'OpenClawFleet';

/**
 * The router's log lines that the alarms count (pino's `msg`, src/cli/commands/run.ts, src/shard/drivers/ecs.ts,
 * src/router/dispatcher.ts). A log metric filter is what CloudWatch sees without scraping the router's /metrics.
 */
export const ROUTER_LOG_SIGNALS = {
  ShardTaskReplaced: 'shard task died; starting a replacement',
  ShardReconcileFailed: 'could not reconcile shard tasks; retrying',
  EventNotRoutedYet: 'event not routed yet; will retry',
  EventParked: 'event parked: see `parked` in #fleet-admin to replay it',
} as const;

export interface FleetAlarmsProps {
  cluster: ecs.ICluster;
  shardFamily: string;
  shardCount: number;
  /** With autoscaling on, the router may run as few as this many shards: the count ShardsMissing expects. */
  autoscaleMin?: number;
  routerService: ecs.FargateService;
  conduitService: ecs.FargateService;
  routerLogGroup: logs.ILogGroup;
  email: string | undefined;
}

/**
 * Alarms on what CloudWatch can see of the fleet: Container Insights task counts (dead shards, a dead router or
 * Conduit) and metric filters on the router's JSON log (replaced shards, failing RunTask, events that keep
 * failing to route: the inbox getting old). All notify one SNS topic.
 */
export class FleetAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: FleetAlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Open Claw Fleet alarms' });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    const clusterName = props.cluster.clusterName;
    const insights = (metricName: string, dimensionsMap: Record<string, string>) => new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights', metricName, dimensionsMap, statistic: 'Minimum', period: Duration.minutes(1),
    });

    // Shard tasks are not an ECS service, so the per-family TaskCount is what counts them. The router replaces a
    // dead shard within about a minute; five minutes short means replacements are failing (e.g. no Spot capacity).
    // An autoscaled count moves between min and max, so only fewer than min is a shard missing.
    const expected = props.autoscaleMin ?? props.shardCount;
    this.alarm('ShardsMissing', {
      metric: insights('TaskCount', { ClusterName: clusterName, TaskDefinitionFamily: props.shardFamily }),
      threshold: expected,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 5,
      // No running task means no datapoint at all: that is the worst case, not "no data".
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      alarmDescription: `fewer than ${expected} shard tasks running for 5 minutes: agents on the missing shards get no answers`,
    });
    for (const [name, service] of [['RouterDown', props.routerService], ['ConduitDown', props.conduitService]] as const) {
      this.alarm(name, {
        metric: insights('RunningTaskCount', { ClusterName: clusterName, ServiceName: service.serviceName }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        alarmDescription: `${name === 'RouterDown' ? 'the router' : 'Conduit'} has had no running task for 3 minutes`,
      });
    }

    const counted = (name: keyof typeof ROUTER_LOG_SIGNALS) => {
      new logs.MetricFilter(this, `${name}Filter`, {
        logGroup: props.routerLogGroup,
        filterPattern: logs.FilterPattern.stringValue('$.msg', '=', ROUTER_LOG_SIGNALS[name]),
        metricNamespace: FLEET_METRICS_NAMESPACE,
        metricName: name,
        metricValue: '1',
        defaultValue: 0,
      });
      return new cloudwatch.Metric({ namespace: FLEET_METRICS_NAMESPACE, metricName: name, statistic: 'Sum', period: Duration.minutes(5) });
    };
    const atLeast = (threshold: number, periods: number) => ({
      threshold, evaluationPeriods: periods, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.alarm('ShardsDying', {
      metric: counted('ShardTaskReplaced'), ...atLeast(3, 1),
      alarmDescription: '3 or more shard tasks died and were replaced within 5 minutes (crash loop, OOM or Spot reclaims)',
    });
    this.alarm('ShardLaunchFailing', {
      metric: counted('ShardReconcileFailed'), ...atLeast(1, 3),
      alarmDescription: 'the router could not run or list shard tasks for 15 minutes (RunTask failures, capacity, IAM)',
    });
    // The inbox's age itself is on the router's /metrics, which CloudWatch does not scrape; an event retried over
    // and over is what an old inbox looks like from the log.
    this.alarm('InboxStuck', {
      metric: counted('EventNotRoutedYet'), ...atLeast(20, 3),
      alarmDescription: 'events have kept failing to route for 15 minutes: the inbox is getting old (homeserver or shards unreachable)',
    });
    this.alarm('EventsParked', {
      metric: counted('EventParked'), ...atLeast(1, 1),
      alarmDescription: 'an event failed every attempt and was parked: `parked` and `replay` in #fleet-admin',
    });
  }

  private alarm(id: string, props: cloudwatch.AlarmProps): void {
    const alarm = new cloudwatch.Alarm(this, id, props);
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
