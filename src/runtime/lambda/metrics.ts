import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AccountKind } from '../../config/model.js';
import { METRICS_NAMESPACE } from '../../protocol/names.js';
import type { MetricsSink } from '../metrics.js';

/**
 * Powertools metrics: each point as one embedded metric format (EMF) line on stdout, which
 * CloudWatch Logs turns into a metric with no API call and no IAM permission
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format.html).
 * Each point has its own dimensions, so each is a single metric; Powertools adds the `service`
 * dimension (`orgbridge-<kind>`) to every one.
 */
export function powertoolsMetricsSink(kind: AccountKind): MetricsSink {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: `orgbridge-${kind}` });
  return {
    emit(points, batchDurationMs) {
      for (const point of points) {
        const single = metrics.singleMetric();
        single.addDimensions({ ...point.dimensions });
        single.addMetric(point.name, MetricUnit.Count, point.count);
      }
      metrics.addDimensions({ AccountKind: kind });
      metrics.addMetric('BatchDuration', MetricUnit.Milliseconds, batchDurationMs);
      metrics.publishStoredMetrics();
    },
  };
}
