from tallyscope.cli import main

main()
