// The `geo` program: `geo serve` runs the HTTP service; every other verb is a CLI command over the same core.
return await Geo.GridService.Host.Cli.GeoCli.RunAsync(args);
