// The few autocannon fields the benchmarks read (the package ships no types).
declare module 'autocannon' {
  interface Result {
    requests: { average: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  }
  function autocannon(options: { url: string; connections: number; pipelining: number; duration: number; method?: string; headers?: Record<string, string>; body?: string }): Promise<Result>;
  export default autocannon;
}
