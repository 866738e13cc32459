namespace Geo.Formats;
