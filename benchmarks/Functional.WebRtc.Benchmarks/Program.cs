using Functional.WebRtc.Benchmarks;

if (args.Length > 0 && args[0] == "throughput") return await Throughput.RunAsync(args);
if (args.Length > 0 && args[0] == "transfer-replay") return TransferReplay.Run(args);
if (args.Length > 0 && args[0] == "replay") return Replay.Run(args);
if (args.Length > 0 && args[0] == "setup") return await Setup.RunAsync(args);
if (args.Length > 0 && args[0] == "forward") return await Forward.RunAsync(args);
if (args.Length > 0 && args[0] == "srtp-cm") return SrtpAesCmTiming.Run(args);
if (args.Length > 0 && args[0] == "idle") return await Idle.RunAsync(args);
BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

public partial class Program;
