namespace Geo.Storage;
