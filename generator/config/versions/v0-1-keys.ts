// The keys the loco 0.1 reader knew (../shared/contracts/loco-0.1, both dialects): the Go
// decoder matched them case-insensitively and ignored anything else, so Loco reads a 0.1 file
// against this tree and turns every other key into a warning instead of an error.

/** A table of known keys; 'map' is a table of free names (Env.Variables, RegionConfig …). */
export type OldKeys = { [key: string]: 'value' | OldKeys | { map: 'value' | OldKeys } };

const regionResources: OldKeys = {
  CPU: 'value', Memory: 'value', ReplicasMin: 'value', ReplicasMax: 'value', EnableAutoScaling: 'value', CPUTarget: 'value', MemoryTarget: 'value',
};

export const oldKeys: OldKeys = {
  Metadata: { ConfigVersion: 'value', Description: 'value', Name: 'value', Type: 'value', Region: 'value' },
  Resources: {
    CPU: 'value', Memory: 'value',
    Replicas: { Min: 'value', Max: 'value' },
    Scalers: { Enabled: 'value', CPUTarget: 'value', MemoryTarget: 'value' },
  },
  Build: { DockerfilePath: 'value', Type: 'value' },
  Routing: { Port: 'value', Subdomain: 'value', PathPrefix: 'value', IdleTimeout: 'value' },
  DomainConfig: { Type: 'value', Hostname: 'value' },
  RegionConfig: { map: regionResources },
  Health: { Path: 'value', Interval: 'value', Timeout: 'value', StartupGracePeriod: 'value', FailThreshold: 'value' },
  Env: { File: 'value', Variables: { map: 'value' } },
  Obs: {
    Logging: { Enabled: 'value', RetentionPeriod: 'value', Structured: 'value' },
    Metrics: { Enabled: 'value', Path: 'value', Port: 'value' },
    Tracing: { Enabled: 'value', SampleRate: 'value', Tags: { map: 'value' } },
  },
};
