using Functional.WebRtc.Benchmarks;

if (args.Length > 0 && args[0] == "throughput") return await Throughput.RunAsync(args);
BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

public partial class Program;
