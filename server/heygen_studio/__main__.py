from heygen_studio.cli import main

main()
